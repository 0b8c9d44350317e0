"""WeChat official account: signatures, message encryption and XML."""
