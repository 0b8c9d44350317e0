"""The review queue: candidate messages ranked by value, grouped, annotated, exported.

A service layer over the masked conversation log (``review.logdb``): the staff
console's pages and the ``queue`` CLI call it; retraining reads its export.
"""
