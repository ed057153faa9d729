"""The app's colours, for the light, the dark and the high-contrast theme (the stylesheet and
the painted panels), and which text is drawn on which background (checked for contrast)."""

from PySide6.QtGui import QColor

THEMES = {
    "light": {
        "window": "#f6f7f9", "panel": "#ffffff", "box": "#eef2f7", "border": "#b8c2d0", "text": "#1d2430",
        "muted": "#535d6d", "accent": "#2a63c6", "current": "#dce8fd", "token": "#2a63c6",
        "token_text": "#ffffff", "badge": "#8a4b00", "changed": "#fff1c2", "error": "#c62828",
        "breakpoint": "#d84343", "highlight_line": "#fff4c4", "selection": "#cfe0ff",
        "observed": "#dfe5ee",
    },
    "dark": {
        "window": "#1e2127", "panel": "#252931", "box": "#2e343e", "border": "#4a5363", "text": "#e3e7ee",
        "muted": "#b4bccb", "accent": "#6ea1ff", "current": "#27426b", "token": "#6ea1ff",
        "token_text": "#10141a", "badge": "#ffc46b", "changed": "#5a4a16", "error": "#ff6b6b",
        "breakpoint": "#ff6b6b", "highlight_line": "#4a4320", "selection": "#34507f",
        "observed": "#353c48",
    },
    # presentation: black on white, strong borders, saturated accents, for projectors
    "contrast": {
        "window": "#ffffff", "panel": "#ffffff", "box": "#ffffff", "border": "#000000", "text": "#000000",
        "muted": "#222222", "accent": "#0033cc", "current": "#ffe14d", "token": "#0033cc",
        "token_text": "#ffffff", "badge": "#8a1500", "changed": "#ffe14d", "error": "#cc0000",
        "breakpoint": "#cc0000", "highlight_line": "#ffe14d", "selection": "#99bbff",
        "observed": "#c8c8c8",  # shaded, as an observed node is drawn, under black text
    },
}
# Which text colour the app draws on which background (the panels, the stack's boxes, the
# model graph's nodes, the source gutter): each pair must pass WCAG AA for text (4.5:1).
TEXT_ON = {
    "text": ("window", "panel", "box", "current", "changed", "highlight_line", "selection", "observed"),
    "muted": ("window", "panel", "box", "current", "observed"),
    "badge": ("box", "current"),
    "accent": ("window", "panel", "box"),
    "token_text": ("token",),
    "error": ("window", "panel"),
}
WCAG_AA_TEXT = 4.5
_current = {"name": "light"}


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2's contrast ratio of two colours "#rrggbb": 1 (none) to 21 (black on white)."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def system_theme() -> str:
    """"dark" when the desktop asks for a dark colour scheme, else "light"."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    try:
        return "dark" if QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark else "light"
    except AttributeError:  # Qt before 6.5 has no colour scheme hint
        return "light"


def set_theme(name: str) -> None:
    _current["name"] = name if name in THEMES else "light"


def theme_name() -> str:
    return _current["name"]


def colors() -> dict:
    return {key: QColor(value) for key, value in THEMES[_current["name"]].items()}


def stylesheet() -> str:
    c = THEMES[_current["name"]]
    return f"""
    QMainWindow, QDockWidget, QWidget {{ background: {c['window']}; color: {c['text']}; }}
    QDockWidget::title {{ background: {c['box']}; padding: 4px 8px; }}
    QPlainTextEdit, QTextBrowser, QTableView, QLineEdit, QComboBox {{
        background: {c['panel']}; color: {c['text']}; border: 1px solid {c['border']};
        selection-background-color: {c['selection']}; selection-color: {c['text']}; }}
    QHeaderView::section {{ background: {c['box']}; color: {c['text']}; border: none;
        border-right: 1px solid {c['border']}; padding: 3px 6px; }}
    QToolBar {{ background: {c['box']}; border: none; spacing: 4px; padding: 2px; }}
    QToolButton {{ padding: 3px 8px; border-radius: 4px; }}
    QToolButton:hover {{ background: {c['current']}; }}
    QToolButton:disabled {{ color: {c['muted']}; }}
    QStatusBar {{ background: {c['box']}; }}
    QLabel#stepLabel {{ font-weight: bold; padding: 0 8px; }}
    """
