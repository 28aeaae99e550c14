//! A software authenticator (a P-256 key made in the test) and the checks of both ceremonies
//! against it: each refusal of simplewebauthn's that better-auth relies on.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use coset::{CoseKeyBuilder, iana};
use serde_json::json;

use super::*;

/// A platform authenticator holding one ES256 credential, answering as Chromium's does.
pub(crate) struct SoftAuthenticator {
    key: EcdsaKeyPair,
    pub(crate) credential_id: Vec<u8>,
    /// The counter the next answer carries (then incremented).
    pub(crate) counter: u32,
    /// The RP ID whose hash the authenticator data carries.
    pub(crate) rp_id: String,
    /// The origin the client data names.
    pub(crate) origin: String,
    pub(crate) aaguid: [u8; 16],
}

impl SoftAuthenticator {
    pub(crate) fn new(rp_id: &str, origin: &str) -> Self {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut credential_id = vec![0; 16];
        aws_lc_rs::rand::fill(&mut credential_id).unwrap_or_else(|e| panic!("{e}"));
        Self {
            key,
            credential_id,
            counter: 1,
            rp_id: rp_id.to_owned(),
            origin: origin.to_owned(),
            aaguid: *b"0123456789abcdef",
        }
    }

    /// The credential's id as better-auth stores it and the client sends it.
    pub(crate) fn id(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.credential_id)
    }

    pub(crate) fn cose_key(&self) -> Vec<u8> {
        let point = self.key.public_key().as_ref();
        CoseKeyBuilder::new_ec2_pub_key(
            iana::EllipticCurve::P_256,
            point[1..33].to_vec(),
            point[33..].to_vec(),
        )
        .algorithm(iana::Algorithm::ES256)
        .build()
        .to_vec()
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn auth_data(&mut self, attested: bool) -> Vec<u8> {
        let mut data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        // UP and UV, and AT on registration.
        data.push(if attested { 0x45 } else { 0x05 });
        data.extend(self.counter.to_be_bytes());
        self.counter += 1;
        if attested {
            data.extend(self.aaguid);
            let length = u16::try_from(self.credential_id.len()).unwrap_or(u16::MAX);
            data.extend(length.to_be_bytes());
            data.extend(&self.credential_id);
            data.extend(self.cose_key());
        }
        data
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    /// The answer to registration options with `challenge`, as `startRegistration` sends it.
    pub(crate) fn register(&mut self, challenge: &str) -> Json {
        let auth_data = self.auth_data(true);
        let object = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(vec![])),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ]);
        let mut attestation = Vec::new();
        ciborium::ser::into_writer(&object, &mut attestation).unwrap_or_else(|e| panic!("{e}"));
        json!({
            "id": self.id(),
            "rawId": self.id(),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": URL_SAFE_NO_PAD.encode(self.client_data("webauthn.create", challenge)),
                "attestationObject": URL_SAFE_NO_PAD.encode(attestation),
                "transports": ["internal"],
            },
        })
    }

    /// The answer to authentication options with `challenge`, as `startAuthentication` sends it.
    pub(crate) fn authenticate(&mut self, challenge: &str) -> Json {
        let auth_data = self.auth_data(false);
        let client_data = self.client_data("webauthn.get", challenge);
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(&client_data));
        let signature = self
            .key
            .sign(&SystemRandom::new(), &signed)
            .unwrap_or_else(|e| panic!("{e}"));
        json!({
            "id": self.id(),
            "rawId": self.id(),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data),
                "authenticatorData": URL_SAFE_NO_PAD.encode(auth_data),
                "signature": URL_SAFE_NO_PAD.encode(signature.as_ref()),
                "userHandle": "dXNlcg",
            },
        })
    }
}

const RP_ID: &str = "localhost";
const ORIGIN: &str = "http://localhost:5173";
const CHALLENGE: &str = "Y2hhbGxlbmdl";

fn expected() -> Expected<'static> {
    Expected {
        challenge: CHALLENGE,
        origins: &[ORIGIN],
        rp_id: RP_ID,
    }
}

#[test]
fn a_registration_yields_the_credential_in_better_auths_encoding() {
    let mut authenticator = SoftAuthenticator::new(RP_ID, ORIGIN);
    let credential = verify_registration(&authenticator.register(CHALLENGE), &expected())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(credential.id, authenticator.id());
    assert_eq!(credential.public_key, authenticator.cose_key());
    assert_eq!(credential.counter, 1);
    assert_eq!(credential.device_type, "singleDevice");
    assert!(!credential.backed_up);
    assert_eq!(credential.aaguid, "30313233-3435-3637-3839-616263646566");
    let stored = encode_public_key(&credential.public_key);
    // Standard base64 with padding, as better-auth's `base64.encode`.
    assert!(
        stored.len().is_multiple_of(4) && !stored.contains(['-', '_']),
        "{stored}"
    );
    assert_eq!(
        decode_public_key(&stored),
        Some(credential.public_key.clone())
    );
    let answer = authenticator.authenticate(CHALLENGE);
    assert_eq!(
        verify_authentication(&answer, &expected(), &credential.public_key, 1),
        Ok(2)
    );
}

#[test]
fn every_mismatch_is_refused() {
    let mut authenticator = SoftAuthenticator::new(RP_ID, ORIGIN);
    let key = authenticator.cose_key();
    let other = Expected {
        challenge: "b3RoZXI",
        ..expected()
    };
    let answer = authenticator.register(CHALLENGE);
    assert_eq!(
        verify_registration(&answer, &other).err(),
        Some(Refusal::Challenge)
    );
    let answer = authenticator.authenticate(CHALLENGE);
    assert_eq!(
        verify_authentication(&answer, &other, &key, 0).err(),
        Some(Refusal::Challenge)
    );
    // An answer for another kind of ceremony.
    let answer = authenticator.authenticate(CHALLENGE);
    assert!(matches!(
        verify_registration(&answer, &expected()),
        Err(Refusal::Type(_))
    ));
    authenticator.origin = "http://localhost:6666".into();
    let answer = authenticator.authenticate(CHALLENGE);
    assert!(matches!(
        verify_authentication(&answer, &expected(), &key, 0),
        Err(Refusal::Origin(_))
    ));
    authenticator.origin = ORIGIN.into();
    authenticator.rp_id = "example.com".into();
    let answer = authenticator.register(CHALLENGE);
    assert_eq!(
        verify_registration(&answer, &expected()).err(),
        Some(Refusal::RpId)
    );
    let answer = authenticator.authenticate(CHALLENGE);
    assert_eq!(
        verify_authentication(&answer, &expected(), &key, 0).err(),
        Some(Refusal::RpId)
    );
    authenticator.rp_id = RP_ID.into();
    // The counter must grow.
    authenticator.counter = 5;
    let answer = authenticator.authenticate(CHALLENGE);
    assert_eq!(
        verify_authentication(&answer, &expected(), &key, 5).err(),
        Some(Refusal::Counter { got: 5, stored: 5 })
    );
    // Another key's signature.
    let stranger = SoftAuthenticator::new(RP_ID, ORIGIN).cose_key();
    let answer = authenticator.authenticate(CHALLENGE);
    assert_eq!(
        verify_authentication(&answer, &expected(), &stranger, 0).err(),
        Some(Refusal::Signature)
    );
    // A tampered signature.
    let mut answer = authenticator.authenticate(CHALLENGE);
    answer["response"]["signature"] = json!("MEUCIQ");
    assert_eq!(
        verify_authentication(&answer, &expected(), &key, 0).err(),
        Some(Refusal::Signature)
    );
}

#[test]
fn malformed_answers_are_refusals_not_panics() {
    let mut authenticator = SoftAuthenticator::new(RP_ID, ORIGIN);
    let good = authenticator.register(CHALLENGE);
    let mut bad = Vec::new();
    for (path, value) in [
        ("/rawId", json!("other")),
        ("/type", json!("password")),
        ("/response", json!("x")),
        ("/response/clientDataJSON", json!("!!")),
        (
            "/response/clientDataJSON",
            json!(URL_SAFE_NO_PAD.encode("[]")),
        ),
        ("/response/attestationObject", json!("oA")),
        ("/response/attestationObject", json!("")),
    ] {
        let mut answer = good.clone();
        if let Some(slot) = answer.pointer_mut(path) {
            *slot = value;
        }
        bad.push(answer);
    }
    bad.push(json!(null));
    bad.push(json!({"id": "", "rawId": ""}));
    for answer in &bad {
        assert!(
            verify_registration(answer, &expected()).is_err(),
            "{answer}"
        );
        assert!(
            verify_authentication(answer, &expected(), &[], 0).is_err(),
            "{answer}"
        );
    }
    for length in 0..40 {
        let _ = auth_data(&vec![0x45; length]);
    }
}

#[test]
fn ed25519_and_rsa_keys_verify() {
    use aws_lc_rs::signature::{Ed25519KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
    let message = b"authenticator data and client data hash";
    let ed = Ed25519KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
    let cose = CoseKeyBuilder::new_okp_key()
        .param(-1, Cbor::from(iana::EllipticCurve::Ed25519 as i64))
        .param(-2, Cbor::Bytes(ed.public_key().as_ref().to_vec()))
        .algorithm(iana::Algorithm::EdDSA)
        .build()
        .to_vec()
        .unwrap_or_else(|e| panic!("{e}"));
    let key = PublicKey::parse(&cose).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(key.verify(message, ed.sign(message).as_ref()), Ok(()));
    assert_eq!(
        key.verify(b"other", ed.sign(message).as_ref()),
        Err(Refusal::Signature)
    );

    let rsa =
        RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap_or_else(|e| panic!("{e}"));
    let components: aws_lc_rs::rsa::PublicKeyComponents<Vec<u8>> = rsa.public_key().into();
    let cose = CoseKeyBuilder::new()
        .key_type(iana::KeyType::RSA)
        .param(-1, Cbor::Bytes(components.n.clone()))
        .param(-2, Cbor::Bytes(components.e.clone()))
        .algorithm(iana::Algorithm::RS256)
        .build()
        .to_vec()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut signature = vec![0; rsa.public_modulus_len()];
    rsa.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        message,
        &mut signature,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let key = PublicKey::parse(&cose).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(key.verify(message, &signature), Ok(()));
    assert_eq!(key.verify(b"other", &signature), Err(Refusal::Signature));

    // ES384 is not offered, and not accepted.
    let cose =
        CoseKeyBuilder::new_ec2_pub_key(iana::EllipticCurve::P_384, vec![1; 48], vec![2; 48])
            .algorithm(iana::Algorithm::ES384)
            .build()
            .to_vec()
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        PublicKey::parse(&cose),
        Err(Refusal::PublicKey(Some(-35)))
    ));
}

proptest::proptest! {
    /// Any bytes in any part of either answer, and any authenticator data: a refusal, never a
    /// panic.
    #[test]
    fn arbitrary_bytes_are_refused_without_panicking(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        part in 0usize..5,
    ) {
        let mut authenticator = SoftAuthenticator::new(RP_ID, ORIGIN);
        let key = authenticator.cose_key();
        let encoded = json!(URL_SAFE_NO_PAD.encode(&bytes));
        let mut registration = authenticator.register(CHALLENGE);
        let mut assertion = authenticator.authenticate(CHALLENGE);
        let field = ["clientDataJSON", "attestationObject", "authenticatorData", "signature", "userHandle"][part];
        registration["response"][field] = encoded.clone();
        assertion["response"][field] = encoded;
        let _ = verify_registration(&registration, &expected());
        let _ = verify_authentication(&assertion, &expected(), &key, 0);
        let _ = auth_data(&bytes);
        let _ = PublicKey::parse(&bytes);
    }
}
