"""Engines that run the reading, scoring and design stages on more data than fits in memory:
chunks of schools (:mod:`.chunks`, sums that add up: :mod:`.moments`) and Dask
(:mod:`.dask`, the distributed scheduler, one machine or a cluster). See docs/SCALING.md."""
