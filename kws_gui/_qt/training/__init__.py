"""The training panel (jobs, live view, history, result cards) and the clip recorder.

Hook-up in the main window::

    panel = TrainingPanel(use_model=window.load_model,
                          ring_provider=lambda: controller.engine.ring if controller.engine else None,
                          source_provider=lambda: controller.source_spec)
    panel.model_used.connect(window.announce_model)  # "Use this model" confirmed on the Live tab
    window.add_tab(panel, "Training", on_close=panel.shutdown, scroll=False)  # pages scroll themselves
"""

from kws_gui._qt.training.panel import TrainingPanel
from kws_gui._qt.training.recorder import RecorderPanel

__all__ = ["RecorderPanel", "TrainingPanel"]
