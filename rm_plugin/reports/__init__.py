"""The programme report (metrics, charts, exports), the role-reversion watch, and success stories."""
