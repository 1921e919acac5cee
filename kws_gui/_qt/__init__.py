"""PySide6 + pyqtgraph front end: thin widgets polling the Qt-free engine."""
