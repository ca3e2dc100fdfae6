from accounts.passwords import hash_password, password_problems, verify_password


def test_hashes_are_argon2id_and_verify():
    digest = hash_password("blue moon over suzhou")
    assert digest.startswith("$argon2id$")
    assert verify_password(digest, "blue moon over suzhou")
    assert not verify_password(digest, "blue moon over hangzhou")
    assert not verify_password(None, "x") and not verify_password("not-a-hash", "x")


def test_short_common_and_personal_passwords_are_refused():
    assert password_problems("abc123")  # too short
    assert password_problems("password1")  # common
    assert password_problems("12345678")
    assert password_problems("zhangwei2024", user_inputs=["zhangwei2024@example.com"])
    assert password_problems("x" * 129)


def test_long_passphrases_need_no_composition_rules():
    assert password_problems("tea garden by the west lake") == []
    assert password_problems("湖边的茶园很安静啊") == []
