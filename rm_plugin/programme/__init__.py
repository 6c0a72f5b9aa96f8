"""A programme's life after matching: recruitment, agreements, meetings, surveys, milestones, nudges.

Every operation takes an open session and a :class:`~rm_plugin.unit_of_work.ProgrammeContext`,
writes its own rows and the outbox rows its facts cause in that session's transaction, and
fires lifecycle hooks only after that transaction commits.
"""
