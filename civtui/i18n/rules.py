"""Strings for effective dates and closed months seen beside today's figures."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "rules.effective_on": ("生效日期", "Effective date"),
    "report.month_open": ("{month}（本月未结束）", "{month} (not ended yet)"),
    "report.month_closed": (
        "{month} 月报（{taken}生成，数字不再改变；“现”为按现有记录重算，含其后补录和更正）",
        "{month} report (taken {taken}; its figures never change. “Now” counts today's "
        "records, with later entries and corrections)",
    ),
    "report.month_live": ("{month}（尚未生成月报）", "{month} (no month report yet)"),
    "report.now": ("现", "Now"),
    "report.earlier": ("上月", "Previous month"),
    "report.later": ("下月", "Next month"),
    # resident ID numbers (civtui/domain/resident_id.py): what breaks GB 11643, and the fix
    "id.required": (
        "身份证号不能为空；请填写18位身份证号",
        "the ID number is required; fill in its 18 characters",
    ),
    "id.first_generation": (
        "这是15位的第一代身份证号；请填写18位号码（应为{upgraded}，请与本人证件核对）",
        "this is a 15-digit first-generation ID; write the 18-character number (it "
        "should be {upgraded}: check it against the card)",
    ),
    "id.foreign_digits": (
        "身份证号里有“{found}”这样的其他文字的数字；请用半角数字0-9重新输入",
        "the ID number holds digits of another script ({found}); type it again with the digits 0-9",
    ),
    "id.length": (
        "身份证号应为18位，现为{length}位；请核对是否多输或漏输了数字",
        "an ID number has 18 characters, this one {length}; check for a digit too many or too few",
    ),
    "id.shape": (
        "身份证号前17位只能是数字，最后一位是数字或X；请删除其他字符",
        "the first 17 characters are digits and the last a digit or X; remove the rest",
    ),
    "id.area": (
        "身份证号前6位地区码“{area}”不是有效的县级行政区划代码；请核对",
        "the area code {area} (first 6 digits) is not a county code; please check",
    ),
    "id.birth_date": (
        "身份证号第7-14位出生日期“{digits}”不是真实日期；请核对出生年月日",
        "the birth date {digits} (digits 7-14) is not a real date; check it",
    ),
    "id.birth_future": (
        "身份证号中的出生日期{birth}晚于今天；请核对出生年份",
        "the birth date {birth} in the ID is after today; check the year",
    ),
    "id.birth_year": (
        "身份证号中的出生年份{year}不合理；请核对出生年份",
        "the birth year {year} in the ID cannot be right; check the year",
    ),
    "id.sequence_000": (
        "身份证号第15-17位顺序码为000，没有这样的号码；多半是 Excel 把这一列设成了数字格式“0”，"
        "末几位被改成了0。请把该列设为“文本”格式后重新输入身份证号",
        "digits 15-17 (the sequence code) are 000, which is never issued: most likely "
        'Excel held the column in its number format "0" and set the last digits to 0. '
        "Set the column's format to Text and type the ID numbers again",
    ),
    "id.check_char": (
        "身份证号校验位应为“{expected}”而不是“{found}”，号码中有数字录错；请逐位核对",
        "the check character should be {expected}, not {found}: a digit was "
        "typed wrong; check each one",
    ),
}
