from tracker.cli.entry import main

main()
