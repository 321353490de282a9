"""The print as first written (commit a2ab3eb), frozen as the bench's fixed baseline.

The PDF speed-up is measured against "what a first implementation writes": these
templates, this stylesheet and this context code, rendered the naive way (one
``HTML(string).write_pdf()`` per document with WeasyPrint's defaults). The project's own
print keeps changing; this copy does not, so every bench run measures the same first
implementation on the same documents. Nothing outside ``bench`` uses it.
"""
