"""SMS: segmentation, Twilio signatures, Alibaba Cloud uplinks, text rendering."""
