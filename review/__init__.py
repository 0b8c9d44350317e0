"""Staff review and retraining tool: the masked conversation log and its console."""
