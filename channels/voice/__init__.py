"""Voice / IVR relay: speakable text and keypad choices."""
