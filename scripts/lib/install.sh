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
  apt_install postgresql-15 slapd ldap-utils libldap2-dev pkg-config python3-aiosmtpd openssl
}
install_samba_packages() {
  apt_install samba-ad-dc samba winbind ldb-tools smbclient samba-ad-provision
}
install_browser_packages() { # headless Chromium, its driver and Debian's selenium, for Tests/Browser
  apt_install chromium chromium-driver python3-selenium fonts-dejavu-core
}
