from npf_ecwid.cli import main

main()
