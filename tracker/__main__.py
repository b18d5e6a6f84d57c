from tracker.cli.root import main

main()
