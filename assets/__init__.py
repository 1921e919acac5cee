"""Shipped models and the app icon, installed as the package ``kws_gui.assets``.

The repository keeps them here, at the top level; setup.py maps this folder into the
package, and ``kws_gui.paths`` finds it with ``importlib.resources``.
"""
