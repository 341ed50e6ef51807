pub fn example() -> u8 {
    // patchwright: template-skill
    1
}
