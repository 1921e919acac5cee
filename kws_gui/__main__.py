"""``python -m kws_gui`` starts the app."""

from kws_gui.app import main

raise SystemExit(main())
