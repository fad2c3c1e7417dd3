from kontor_client.cli.main import main

main()
