import WhittleCLI

WhittleCommand.checkEnvironment()
WhittleCommand.main()
