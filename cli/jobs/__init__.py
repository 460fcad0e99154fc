"""The jobs the commands run: the training pipeline and the demo (composition of training and service)."""
