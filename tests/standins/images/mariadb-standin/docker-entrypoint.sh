#!/bin/bash
# STAND-IN of the official mysql image's docker-entrypoint.sh, on MariaDB.
set -euo pipefail
case "${1:-mysqld}" in
  mysqld|mariadbd|-*) ;;
  *) exec "$@" ;;
esac
[ "${1:-}" = mysqld ] || [ "${1:-}" = mariadbd ] && shift
args=()
for a in "$@"; do
  case "$a" in
    --mysql-native-password=*|--mysql-native-password)
      echo "mysql stand-in: dropping MySQL-only option $a (MariaDB always has mysql_native_password)" ;;
    *) args+=("$a") ;;
  esac
done
DATADIR=/var/lib/mysql
if [ "$(id -u)" = 0 ]; then
  chown -R mysql:mysql "$DATADIR" /run/mysqld
  exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" mysqld "${args[@]}"
fi
if [ ! -d "$DATADIR/mysql" ]; then
  : "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD must be set (as the official image requires)}"
  echo "mysql stand-in: initialising $DATADIR"
  mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve >/dev/null
  mariadbd --datadir="$DATADIR" --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  for _ in $(seq 1 60); do mariadb-admin --socket=/run/mysqld/init.sock ping >/dev/null 2>&1 && break; sleep 1; done
  pw=${MYSQL_ROOT_PASSWORD//\\/\\\\}; pw=${pw//\'/\\\'}
  mariadb --socket=/run/mysqld/init.sock -uroot <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED BY '$pw';
CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$pw';
GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  kill "$pid"; wait "$pid" || true
  echo "mysql stand-in: initialised"
fi
exec mariadbd --datadir="$DATADIR" "${args[@]}"
