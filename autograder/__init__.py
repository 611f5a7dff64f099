"""autograder: release, grade, feedback and export for the book's nbgrader assignments.

Stock nbgrader stays the foundation (release generation, the SQLite gradebook, export and
formgrader keep working); this package adds what it lacks: the student's code runs in a
sandbox and only hands back plain data, and the verdicts are computed here, against reference
answers recorded at release time. Run `autograder --help`.
"""

__version__ = "1.0.0"
