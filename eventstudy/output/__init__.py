"""Renderers of a study's results: the summary, the figures, the HTML, Markdown and LaTeX report.

They read the results through :class:`eventstudy.output.describe.StudyResults` and never
import the layers above them (results, study, cli); display formats are defined once in
:mod:`eventstudy.output.format`.
"""
