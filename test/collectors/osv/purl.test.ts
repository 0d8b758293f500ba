import assert from 'node:assert/strict';
import { purlOf } from '../../../src/collectors/osv/purl.js';

describe('osv: package URLs', () => {
  it('writes purls per ecosystem', () => {
    assert.equal(purlOf('npm', 'lodash', '4.17.15'), 'pkg:npm/lodash@4.17.15');
    assert.equal(purlOf('npm', '@babel/core', '7.0.0'), 'pkg:npm/%40babel/core@7.0.0');
    assert.equal(purlOf('Go', 'github.com/gogo/protobuf', '1.3.1'), 'pkg:golang/github.com/gogo/protobuf@1.3.1');
    assert.equal(purlOf('crates.io', 'regex', '1.5.1'), 'pkg:cargo/regex@1.5.1');
    assert.equal(purlOf('PyPI', 'Django_Rest.Framework', '3.0'), 'pkg:pypi/django-rest-framework@3.0');
    assert.equal(purlOf('Maven', 'org.apache.logging.log4j:log4j-core', '2.14.1'), 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1');
    assert.equal(purlOf('Packagist', 'guzzlehttp/guzzle', '7.4.4'), 'pkg:composer/guzzlehttp/guzzle@7.4.4');
    assert.equal(purlOf('Debian:11', 'openssl', '1.1.1n-0+deb11u3'), 'pkg:deb/openssl@1.1.1n-0%2Bdeb11u3');
    assert.equal(purlOf('SomethingNew', 'x y', '1'), 'pkg:generic/x%20y@1');
  });
});
