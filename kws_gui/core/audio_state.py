"""Start/stop of the audio as a small state machine, and what each state tells people.

The app shows one :class:`AudioStatus` everywhere (status bar, detection area, plots,
the Start/Stop button), so they never disagree. Transitions are plain functions of
the current status and an event; nothing here knows about Qt or devices::

    NO_SOURCE --choose--> STARTING --started--> RUNNING --stop--> STOPPED --start--> STARTING
                             |                     |--finished--> END_OF_FILE --start--> STARTING
                             '--failed--> NO_DEVICE <--failed--'
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass


class AudioState(enum.Enum):
    """Where the audio is; the value is the word people read."""

    NO_SOURCE = "no source"  # nothing chosen yet (or nothing usable)
    STARTING = "starting"  # a source is being opened
    RUNNING = "running"
    STOPPED = "stopped"  # stopped by the user; Start continues
    END_OF_FILE = "end of file"  # a WAV file without loop reached its end; Start plays it again
    NO_DEVICE = "no device"  # the source could not start or went away


@dataclass(frozen=True)
class AudioStatus:
    """The state, the source it is about (its name for people) and, for failures, why."""

    state: AudioState = AudioState.NO_SOURCE
    source: str = ""
    reason: str = ""

    # ------------------------------------------------------------------ events
    def choose(self, source: str) -> AudioStatus:
        """A source was chosen (or restarted) and is being opened."""
        return AudioStatus(AudioState.STARTING, source or self.source)

    def started(self, source: str) -> AudioStatus:
        """The source delivers audio."""
        return AudioStatus(AudioState.RUNNING, source or self.source)

    def stop(self) -> AudioStatus:
        """The user stopped the audio (a no-op without a source or after a failure)."""
        if self.state in (AudioState.RUNNING, AudioState.STARTING):
            return dataclasses.replace(self, state=AudioState.STOPPED, reason="")
        return self

    def finished(self) -> AudioStatus:
        """The file reached its end (only a running source can)."""
        if self.state is AudioState.RUNNING:
            return dataclasses.replace(self, state=AudioState.END_OF_FILE)
        return self

    def failed(self, reason: str, source: str = "") -> AudioStatus:
        """The source could not start or went away."""
        return AudioStatus(AudioState.NO_DEVICE, source or self.source, reason)

    # ------------------------------------------------------------------ reading
    @property
    def running(self) -> bool:
        """Audio flows."""
        return self.state is AudioState.RUNNING

    @property
    def active(self) -> bool:
        """Audio flows or is being started: the button says Stop."""
        return self.state in (AudioState.RUNNING, AudioState.STARTING)

    @property
    def action(self) -> str:
        """The Start/Stop button's text."""
        return "Stop" if self.active else "Start"

    def status_text(self) -> str:
        """One line for the status bar, e.g. ``"running: WAV: yes.wav (loop)"``."""
        if self.state is AudioState.NO_SOURCE:
            return "no source: choose one in the Source & settings tab"
        text = f"{self.state.value}: {self.source}" if self.source else self.state.value
        return f"{text} ({self.reason})" if self.reason else text

    def headline(self) -> str:
        """What the detection area says while no word is shown."""
        return {
            AudioState.NO_SOURCE: "no source - choose one in the Source & settings tab",
            AudioState.STARTING: "starting...",
            AudioState.RUNNING: "listening...",
            AudioState.STOPPED: "stopped - press Start",
            AudioState.END_OF_FILE: "end of file - press Start to play it again",
            AudioState.NO_DEVICE: "no device - choose one in the Source & settings tab",
        }[self.state]

    def plot_note(self) -> str:
        """A word over the plots when they do not move ("" while running)."""
        return "" if self.state is AudioState.RUNNING else self.state.value
