from civtui.cli import main

main()
