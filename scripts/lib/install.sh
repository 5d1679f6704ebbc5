# Installs the Debian packages the services need, only when missing; never prompts.
APT_UPDATED=0
apt_install() { # apt_install PACKAGE... (only the missing ones are installed)
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq >/dev/null; APT_UPDATED=1; fi
  echo 'slapd slapd/no_configuration boolean true' | as_root debconf-set-selections
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
install_base_packages() {
  apt_install postgresql-15 slapd ldap-utils libldap2-dev zlib1g-dev pkg-config python3-aiosmtpd openssl haproxy
}
install_samba_packages() {
  apt_install samba-ad-dc samba winbind ldb-tools smbclient samba-ad-provision
}
install_browser_packages() { # headless Chromium, its driver, Debian's selenium and axe-core (from PyPI), for Tests/Browser
  apt_install chromium chromium-driver python3-selenium python3-pip fonts-dejavu-core
  # axe-selenium-python bundles axe-core 4.10.2. It declares Python >= 3.12 but its one module runs on Debian 12's 3.11;
  # --no-deps: it needs only selenium (Debian's) at run time, its pytest requirement is for its own tests.
  pip_install axe-selenium-python 3.0.0 --ignore-requires-python --no-deps
}
install_test_tools() { # gdb: scripts/test prints every thread's stack when a test pass stalls; iproute2's tc:
  # StalledStreamTests holds back a vanished client's packets on the loopback (LoopbackHold)
  apt_install gdb iproute2
}
pip_install() { # pip_install PACKAGE VERSION [PIP OPTION...]: into Debian's python, only when that version is missing
  local package="$1" version="$2"; shift 2
  [ "$("$SYSTEM_PYTHON" -m pip show "$package" 2>/dev/null | sed -n 's/^Version: //p')" = "$version" ] && return 0
  log "installing $package $version from PyPI"
  as_root "$SYSTEM_PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore --break-system-packages "$@" "$package==$version"
}
