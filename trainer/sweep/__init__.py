"""kws-train sweep: many training runs on Ray Tune, and the Pareto fronts of what they give.

* :mod:`~trainer.sweep.space`: the search space file, checked against the ``train`` parser;
* :mod:`~trainer.sweep.results`: one trial's record, ``sweep.json``, Pareto fronts, the pick, the table;
* :mod:`~trainer.sweep.plot`: the Pareto PNG (matplotlib, Agg);
* :mod:`~trainer.sweep.runner`: Ray (local or a cluster), the trials, cancel and resume.

Only the runner imports Ray, and only inside its functions.
"""
