"""Retrain, compare, promote and roll back models (staff console service layer).

Modules: ``paths`` (where models and data live), ``archive`` (model files),
``engine`` (Rasa train / evaluate as engine-env subprocesses), ``gate`` (the
regression gate), ``evaluation`` (cached held-out scores), ``jobs`` (the
background retraining job), ``rasa_api`` (Rasa's HTTP API), ``promotion``
(promote / rollback on every instance), ``cli`` (``python -m review train|model``).
"""
