# Sourced (not run) by bin/setup, bin/paas and bin/paasd: finds a Node.js >= 24,
# installing it from the npm registry under ~/.local/node24 if none is found, then
# exports NODE (its path) and PATH (its directory first).
#
# Silent when a Node is found; while installing it prints one line, and errors, to
# stderr (never stdout: `paas ... --json` output stays clean). Returns non-zero when
# no usable Node can be had.

paas_node_env() {
  local want=24 prefix="${HOME}/.local/node24" candidate major
  local local_node="${prefix}/node_modules/.bin/node"

  # Prints the major version of the node binary $1, or fails.
  paas_node_major() {
    local v
    v="$("$1" --version 2>/dev/null)" || return 1
    v="${v#v}"
    printf '%s\n' "${v%%.*}"
  }

  candidate=""
  if command -v node >/dev/null 2>&1; then
    major="$(paas_node_major "$(command -v node)")" || major=0
    if [[ "${major}" =~ ^[0-9]+$ ]] && (( major >= want )); then
      candidate="$(command -v node)"
    fi
  fi
  if [[ -z "${candidate}" && -x "${local_node}" ]]; then
    major="$(paas_node_major "${local_node}")" || major=0
    if [[ "${major}" =~ ^[0-9]+$ ]] && (( major >= want )); then
      candidate="${local_node}"
    fi
  fi

  if [[ -z "${candidate}" ]]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "paas: Node.js >= ${want} not found and npm is missing to install it" >&2
      return 1
    fi
    echo "-----> Installing Node.js ${want} into ${prefix}" >&2
    mkdir -p "${prefix}"
    local log="${prefix}/install.log"
    if ! npm install --prefix "${prefix}" --no-audit --no-fund \
        --ignore-scripts=false --loglevel=error "node@${want}" >"${log}" 2>&1; then
      echo "paas: installing node@${want} with npm failed:" >&2
      tail -n 30 "${log}" >&2
      return 1
    fi
    major="$(paas_node_major "${local_node}")" || major=0
    if ! [[ "${major}" =~ ^[0-9]+$ ]] || (( major < want )); then
      echo "paas: ${local_node} does not run as Node.js >= ${want} after install (see ${log})" >&2
      return 1
    fi
    candidate="${local_node}"
  fi

  local dir
  dir="$(dirname "${candidate}")"
  case ":${PATH}:" in
    ":${dir}:"*) ;;                       # already first
    *) PATH="${dir}:${PATH}" ;;
  esac
  export PATH
  NODE="${candidate}"
  export NODE
}

if paas_node_env; then
  unset -f paas_node_env paas_node_major
else
  unset -f paas_node_env paas_node_major
  return 1
fi
