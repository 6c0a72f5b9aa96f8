from rm_plugin.cli import main

main()
