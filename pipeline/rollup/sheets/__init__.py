"""One module per sheet of the quarter roll-up and of the year-end report; each lays out
its part of one ``consolidate.QuarterFigures`` (or the year's list of them)."""
