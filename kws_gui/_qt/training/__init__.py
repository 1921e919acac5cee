"""The training panel (jobs, live view, history, result cards) and the clip recorder.

Hook-up in the main window::

    panel = TrainingPanel(use_model=window.load_model,
                          ring_provider=lambda: controller.engine.ring if controller.engine else None)
    window.add_tab(panel, "Training")
    # on close: panel.shutdown()  (stops a running job: SIGTERM, then kill)
"""

from kws_gui._qt.training.panel import TrainingPanel
from kws_gui._qt.training.recorder import RecorderPanel

__all__ = ["RecorderPanel", "TrainingPanel"]
