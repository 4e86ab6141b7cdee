"""The training loop and what surrounds it: schedules, measures, checks, torchrun, a session."""
