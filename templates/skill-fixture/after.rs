pub fn example() -> u8 {
    1
}
