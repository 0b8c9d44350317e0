"""Every table of the staff database, registered on one ``Base.metadata``.

The log's own tables live in ``review.logdb.models``; each staff feature adds
its tables (and a migration branching from 0001) in its own ``models``
module. Import this module wherever the whole schema must be known, e.g. to
compare the migrations with the models.
"""

from __future__ import annotations

from review.console import models as console_models
from review.logdb import models as log_models
from review.queue import models as queue_models
from review.training import models as training_models

Base = log_models.Base
FEATURE_MODELS = (console_models, queue_models, training_models)
