"""One way to write dates and times, per language (settings.FORMAT_MODULE_PATH).

Dates read "28 november 2026" ("j F Y"), times "14:05" ("H:i"), both in Europe/Amsterdam
(settings.TIME_ZONE). Templates use ``{{ value|date:"j F Y" }}`` or plain ``|date``; Python
code uses :mod:`classvault.core.display`.
"""
