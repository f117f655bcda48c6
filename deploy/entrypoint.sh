#!/bin/sh
# The image's entrypoint: the first argument names the program, the rest are its arguments.
set -e

usage() {
  echo "usage: <image> receiver|registrar|runner|console|tributary [arguments...]"
  echo "Configuration comes from environment variables (the README's Configuration table)."
}

program="${1:-}"
case "$program" in
  receiver|registrar|runner|console|tributary)
    shift
    exec "/usr/local/bin/$program" "$@"
    ;;
  ""|-h|--help)
    usage
    ;;
  *)
    usage >&2
    echo "unknown program: $program" >&2
    exit 64
    ;;
esac
