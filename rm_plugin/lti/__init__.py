"""LTI 1.3: the protocol side of the tool (keys, platforms, OIDC login and launch, dynamic
registration, deep linking, grade services), as services the web views and the CLI call."""
