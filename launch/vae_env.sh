# Source this file (`source launch/vae_env.sh`) to run vae_dist under Open MPI from this shell:
# - as root, Open MPI refuses to start unless OMPI_ALLOW_RUN_AS_ROOT and its confirmation are set;
# - with more ranks than cores (8 ranks on a 2-core machine), it refuses unless oversubscription
#   is allowed. vae_dist itself gives each rank at least one thread either way.
# It also puts the installed vae_dist on PATH when it lives in ~/.local/bin.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_rmaps_base_oversubscribe=1
if [ -d "$HOME/.local/bin" ]; then
  case ":$PATH:" in
    *":$HOME/.local/bin:"*) ;;
    *) export PATH="$HOME/.local/bin:$PATH" ;;
  esac
fi
