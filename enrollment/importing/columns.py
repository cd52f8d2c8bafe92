"""The enrollee-list columns and the words staff write in them."""

# Chinese header -> staging field. The order here is the order of the template file.
HEADERS = {
    "姓名": "name",
    "身份证号": "id_number",
    "性别": "gender",
    "出生日期": "birth_date",
    "区县代码": "district_code",
    "险种": "scheme",
    "人员类别": "category",
    "档次": "tier",
    "联系电话": "phone",
    "单位信用代码": "employer_code",
    "缴费基数": "contribution_base",
}
REQUIRED_HEADERS = ("姓名", "身份证号", "区县代码", "险种", "人员类别")
FIELD_LABELS = {field: header for header, field in HEADERS.items()}

SCHEMES = {
    "职工医保": "employee",
    "职工基本医疗保险": "employee",
    "employee": "employee",
    "居民医保": "resident",
    "城乡居民医保": "resident",
    "城乡居民基本医疗保险": "resident",
    "resident": "resident",
}
CATEGORIES = {
    "在职": "active",
    "退休": "retired",
    "灵活就业": "flexible",
    "成年居民": "adult",
    "未成年人": "minor",
    "在校大学生": "student",
    "大学生": "student",
}
CATEGORIES.update({v: v for v in set(CATEGORIES.values())})
SCHEME_CATEGORY_NAMES = {
    "employee": {"active", "retired", "flexible"},
    "resident": {"adult", "minor", "student"},
}
TIERS = {"一档": 1, "二档": 2, "1": 1, "2": 2, "一": 1, "二": 2}
GENDERS = {"男": "M", "女": "F", "M": "M", "F": "F", "男性": "M", "女性": "F"}

# Columns staged per row, in COPY order.
STAGING_COLUMNS = (
    "batch_id",
    "row_number",
    "id_number",
    "name",
    "gender",
    "birth_date",
    "district_id",
    "scheme",
    "category",
    "tier",
    "phone",
    "employer_code",
    "contribution_base",
    "rejected",
)
