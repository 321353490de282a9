"""The panel's date and time formats, one set per language (FORMAT_MODULE_PATH).

Dates carry the month as a word, so "6 Dec 2026" never reads as 12 June, and times use 24 hours
in every language. Templates use the named formats (`|date:"SHORT_DATETIME_FORMAT"`) and code
`django.utils.formats`; what a module leaves out (numbers, input formats) comes from Django's
own locale formats.
"""
