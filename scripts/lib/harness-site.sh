# Sourced by the e2e scripts: builds the harness site (tests/e2e/harness with the package built in www/pkg)
# in target/e2e-harness-site and sets $site to it.
site=target/e2e-harness-site
rm -rf "$site" && mkdir -p "$site"
ln -s "$PWD/www/pkg" "$site/pkg"
cp tests/e2e/harness/*.html tests/e2e/harness/*.js "$site/"
