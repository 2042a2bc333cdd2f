from mvstudio.cli import main

raise SystemExit(main())
