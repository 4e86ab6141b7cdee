"""Probing a trained model: the query language, the prober, exports of a session."""
