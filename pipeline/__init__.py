"""The stages a command or a service request runs, on inputs read once.

A :class:`~pipeline.job.Job` holds every parameter of a run; a :class:`~pipeline.workspace.
Workspace` reads the files it names through ``geo/`` (each input once, however many stages use
it); the stages (:mod:`pipeline.coverage`, :mod:`~pipeline.points`, :mod:`~pipeline.lines`,
:mod:`~pipeline.plan`) compute with ``planner/`` and write their files through
:mod:`geo.export`. Both the command line (``cli/``) and the service (``api/``) call these; this
package knows neither argparse nor HTTP.
"""
