"""The app's Qt views: the main window, its panels, the palette, and the bridge that moves
the runner's callbacks onto the GUI thread. Each view renders a model of ``gui.models``."""
