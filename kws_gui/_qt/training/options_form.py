"""The training options of a job, generated from :data:`kws_gui.core.train_options.TRAIN_OPTIONS`.

One row per option, in collapsible groups (training and pruning open, the rest
folded). Each value is the text ``kws-train`` receives (``0.01``, ``none``,
``-20,10``, ``10x4``), prefilled with the preset's value; switches are check boxes.
A new entry in the table shows up here with no change to this file.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kws_gui.core.train_options import GROUPS, TRAIN_OPTIONS, TrainOption

#: Groups shown unfolded.
OPEN_GROUPS = ("training", "pruning", "data")


def _label(option: TrainOption) -> str:
    """``--final-sparsity`` -> ``Final sparsity``; units stay (``Frame length ms``)."""
    words = option.name.replace("-", " ")
    return words[0].upper() + words[1:]


class _Section(QWidget):
    """A title button that folds the rows under it."""

    def __init__(self, title: str, opened: bool) -> None:
        super().__init__()
        self.toggle = QToolButton()
        self.toggle.setText(title)
        self.toggle.setCheckable(True)
        self.toggle.setChecked(opened)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setStyleSheet("QToolButton { border: none; font-weight: bold; }")
        self.body = QWidget()
        self.rows = QFormLayout(self.body)
        self.rows.setContentsMargins(16, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toggle)
        layout.addWidget(self.body)
        self.toggle.toggled.connect(self._fold)
        self._fold(opened)

    def _fold(self, opened: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if opened else Qt.ArrowType.RightArrow)
        self.body.setVisible(opened)


class OptionsForm(QWidget):
    """Edits option texts (field name -> text); ``changed`` on every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sections: dict[str, _Section] = {}
        self.edits: dict[str, QLineEdit | QCheckBox] = {}
        self._shown: set[str] = {o.dest for o in TRAIN_OPTIONS}
        self._rows: dict[str, tuple[_Section, QWidget]] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for group, title in GROUPS:
            section = _Section(title, group in OPEN_GROUPS)
            self.sections[group] = section
            layout.addWidget(section)
        for option in TRAIN_OPTIONS:
            self._add(option)
        self.edits["prune"].toggled.connect(self._on_prune_toggled)  # type: ignore[union-attr]

    def _add(self, option: TrainOption) -> None:
        section = self.sections[option.group]
        widget: QLineEdit | QCheckBox
        if option.kind == "switch":
            widget = QCheckBox(_label(option))
            widget.toggled.connect(self.changed)
            label: QWidget = QLabel("")
        else:
            widget = QLineEdit()
            widget.textChanged.connect(self.changed)
            label = QLabel(_label(option))
        widget.setToolTip(f"{option.flag}: {option.help}")
        label.setToolTip(widget.toolTip())
        section.rows.addRow(label, widget)
        self.edits[option.dest] = widget
        self._rows[option.dest] = (section, widget)

    # ----------------------------------------------------------------- public
    def texts(self) -> dict[str, str]:
        """Field name -> text of every shown option (switches: ``on`` / ``off``)."""
        out = {}
        for dest, widget in self.edits.items():
            if not self.is_shown(dest) or not widget.isEnabled():
                continue
            out[dest] = (
                ("on" if widget.isChecked() else "off") if isinstance(widget, QCheckBox) else widget.text()
            )
        return out

    def set_texts(self, texts: dict[str, str]) -> None:
        """Fill the fields (missing ones empty / unticked)."""
        for dest, widget in self.edits.items():
            text = texts.get(dest, "")
            if isinstance(widget, QCheckBox):
                widget.setChecked(text == "on")
            else:
                widget.setText(text)
        self._on_prune_toggled()

    def show_options(self, dests: Iterable[str]) -> None:
        """Show only these options (and the groups holding any of them)."""
        shown = set(dests)
        for dest, (section, widget) in self._rows.items():
            section.rows.setRowVisible(widget, dest in shown)
        for section in self.sections.values():
            section.setVisible(any(d in shown for d, (s, _) in self._rows.items() if s is section))
        self._shown = shown

    def is_shown(self, dest: str) -> bool:
        return dest in self._shown

    def set_empty_text(self, text: str) -> None:
        """What an empty field means (``"the preset's value"``, ``"the model's value"``)."""
        for widget in self.edits.values():
            if isinstance(widget, QLineEdit):
                widget.setPlaceholderText(text)

    def set_locked(self, dest: str, locked: bool) -> None:
        """A switch the job kind fixes (pruning is always on when pruning a model)."""
        self.edits[dest].setEnabled(not locked)

    # ---------------------------------------------------------------- private
    def _on_prune_toggled(self, *_: object) -> None:
        prune = self.edits["prune"]
        on = prune.isChecked() or not prune.isEnabled()  # type: ignore[union-attr]
        for dest, (section, widget) in self._rows.items():
            if section is self.sections["pruning"] and dest != "prune":
                widget.setEnabled(on)
