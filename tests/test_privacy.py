import pytest

from assistant.privacy import is_valid_id_number, mask_pii

VALID_ID = "510107199003071236"
VALID_ID_X = "11010519491231002X"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话13812345678", "电话138****5678"),
        ("手机 138-1234-5678。", "手机 138****5678。"),
        ("手机 138 1234 5678", "手机 138****5678"),
        ("+86 13812345678", "+86 138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("call 19912345678 now", "call 199****5678 now"),
    ],
)
def test_masks_mobile_numbers(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


def test_full_width_digits_are_masked_and_the_rest_is_kept() -> None:
    text = "我的手机是１３８１２３４５６７８，请联系（工作日）"
    assert mask_pii(text) == "我的手机是138****5678，请联系（工作日）"


@pytest.mark.parametrize(
    "text",
    [
        "12345678901",  # second digit must be 3-9
        "138123456789",  # 12 digits: not a mobile
        "订单号 913812345678",  # digits before it
        "金额 1381234 元",
    ],
)
def test_leaves_other_numbers_alone(text: str) -> None:
    assert mask_pii(text) == text


def test_masks_id_numbers_with_a_valid_check_digit() -> None:
    assert mask_pii(f"身份证号{VALID_ID}。") == "身份证号510***********1236。"
    assert mask_pii(f"ID {VALID_ID_X.lower()}") == "ID 110***********002x"


def test_id_number_with_a_wrong_check_digit_is_masked_too() -> None:
    wrong = VALID_ID[:-1] + "7"
    assert not is_valid_id_number(wrong)
    assert mask_pii(f"编号{wrong}") == "编号510***********1237"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("卡号6222021234567890123", "卡号6222***********0123"),
        ("卡号 6222 0212 3456 7890", "卡号 6222********7890"),
        ("card 4111-1111-1111-1111.", "card 4111********1111."),
    ],
)
def test_masks_bank_card_numbers(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text", ["文号川府发〔2026〕8号", "补贴 1000000 元", "2026-12-01 10:00", "代码 91510100MA6C12345X"]
)
def test_card_and_id_masks_leave_ordinary_numbers_alone(text: str) -> None:
    assert mask_pii(text) == text


def test_log_lines_cannot_be_forged_and_leak_nothing() -> None:
    import logging

    from assistant.logsafe import SafeLogFilter

    record = logging.LogRecord("rongchuang", logging.INFO, __file__, 1, "turn %s q=%s", None, None)
    record.args = ("s_E5XzyjqkQARYoMSD", "问\r\n2026 INFO 伪造\x1b[31m\x07\x00\ud800 510107199003071237")
    assert SafeLogFilter().filter(record)
    line = record.getMessage()
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\x00" not in line
    assert "\\n" in line and "\\x1b" in line and "\\ud800" in line
    assert "s_E5XzyjqkQARYoMSD" not in line and "s_E5Xz…" in line
    assert "510107199003071237" not in line
    line.encode("utf-8")  # no lone surrogate left


def test_access_log_lines_are_cleaned_and_still_formatted_by_uvicorn() -> None:
    """uvicorn's access formatter unpacks the record's five args: the filter must keep them (it
    once replaced them with None, and every request logged a "Logging error" traceback instead)."""
    import logging

    from uvicorn.logging import AccessFormatter

    from assistant.logsafe import SafeLogFilter

    path = "/api/sessions/s_E5XzyjqkQARYoMSD/messages?x=\r\n2026 INFO 伪造\x1b[31m"
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', None, None
    )
    record.args = ("127.0.0.1:5000", "GET", path, "1.1", 200)
    assert SafeLogFilter().filter(record)
    line = AccessFormatter("%(message)s", use_colors=False).format(record)
    assert line.startswith('127.0.0.1:5000 - "GET /api/sessions/s_E5Xz…/messages') and line.endswith(" 200")
    assert "\n" not in line and "\x1b" not in line and "\\x1b" in line and "s_E5XzyjqkQARYoMSD" not in line


def test_is_valid_id_number() -> None:
    assert is_valid_id_number(VALID_ID)
    assert is_valid_id_number(VALID_ID_X)
    assert not is_valid_id_number(VALID_ID[:-1])
    assert not is_valid_id_number("51010719900307123A")


def test_both_kinds_in_one_text() -> None:
    text = f"张三，身份证 {VALID_ID}，手机 13912345678，邮箱 a@b.cn"
    assert mask_pii(text) == "张三，身份证 510***********1236，手机 139****5678，邮箱 a@b.cn"


def test_full_width_id_number() -> None:
    full = VALID_ID.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert mask_pii(f"证件：{full}") == "证件：510***********1236"


def test_empty_and_plain_text() -> None:
    assert mask_pii("") == ""
    assert mask_pii("成都高新区的政策有哪些？") == "成都高新区的政策有哪些？"
