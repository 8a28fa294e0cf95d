"""``gan-lab report``: what a class got wrong, how its scores fall, whose code is too alike.

``collect`` reads one lab's results back (gradebook, graded notebooks, ``gan-lab autograde``'s
ledger); ``analysis`` counts them; ``figures`` draws them; ``page`` writes one self-contained
HTML page (figures embedded, nothing fetched) and ``tables`` the CSV files beside it. The
similarity section comes from ``gan_lab.course.similarity``.
"""
